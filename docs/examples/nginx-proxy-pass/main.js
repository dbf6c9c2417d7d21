// proxy_pass with a URI: the /app/ prefix is replaced by /, and two headers are set.
pipy.listen(18320, $=>$
  .demuxHTTP().to($=>$
    .branchMessageStart(
      msg => msg.head.path.startsWith('/app/'), ($=>$
        .handleMessageStart(msg => {
          var head = msg.head
          head.path = head.path.substring('/app'.length)
          head.headers['x-real-ip'] = __inbound.remoteAddress
          head.headers['x-forwarded-proto'] = 'http'
        })
        .muxHTTP().to($=>$.connect('127.0.0.1:18321'))
      ),
      ($=>$.replaceMessage(new Message({ status: 404 }, 'not found\n')))
    )
  )
)
