// replaceMessageBody keeps each message's head and replaces its body.
pipy.listen(18423, $=>$
  .serveHTTP(req => new Message('hello, ' + req.body.toString() + '\n'))
)

pipy.listen(18424, $=>$
  .demuxHTTP().to($=>$
    .replaceMessageBody(body => new Data(body.toString().toUpperCase()))
    .muxHTTP().to($=>$.connect('127.0.0.1:18423'))
  )
)
