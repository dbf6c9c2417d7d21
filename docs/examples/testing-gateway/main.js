// A small gateway to test: requests under /api/ need a bearer token; they are forwarded to
// the API server without the /api prefix, with the caller's name in x-user.
var tokens = {
  'secret-alice': 'alice',
  'secret-bob': 'bob',
}

var $user

pipy.listen(18390, $=>$
  .demuxHTTP().to($=>$
    .handleMessageStart(msg => {
      var auth = msg.head.headers.authorization || ''
      $user = tokens[auth.replace(/^Bearer /, '')]
    })
    .branchMessageStart(
      msg => !msg.head.path.startsWith('/api/'), ($=>$
        .replaceMessage(new Message({ status: 404 }, 'not found\n'))
      ),
      () => !$user, ($=>$
        .replaceMessage(new Message(
          { status: 401, headers: { 'content-type': 'application/json' } },
          JSON.stringify({ error: 'a bearer token is needed' })
        ))
      ),
      ($=>$
        .handleMessageStart(msg => {
          msg.head.path = msg.head.path.substring(4)
          msg.head.headers['x-user'] = $user
          delete msg.head.headers.authorization
        })
        .muxHTTP().to($=>$.connect('127.0.0.1:18391'))
      )
    )
  )
)
