// pipeNext continues with the next pipeline of a chain given to pipe(): here three
// stages, each adding a header and passing the request on.
var stage = name => pipeline($=>$
  .handleMessageStart(msg => { msg.head.headers['x-stages'] = (msg.head.headers['x-stages'] || '') + name })
  .pipeNext()
)

pipy.listen(18692, $=>$
  .demuxHTTP().to($=>$
    .pipe([stage('a'), stage('b'), stage('c')])
    .replaceMessage(msg => new Message(msg.head.headers['x-stages'] + '\n'))
  )
)
