// Tutorial 15: retries with back-off, and a fan-out.
// Each call to a service is retried when it answers 5xx, with a growing pause between the
// attempts (replay). /dashboard asks the three services at once and answers when all of them
// have answered (forkJoin), with their answers together in one JSON object.

var services = {
  users: '127.0.0.1:8080',
  orders: '127.0.0.1:8081',
  stock: '127.0.0.1:8082',
}

var maxAttempts = 3

pipy({
  _service: '',     // the service this request (or this branch of the fan-out) calls
  _target: '',      // its address
  _attempts: 0,     // calls made to it so far
  _answers: null,   // the fan-out's answers, by service
})

  .listen(8000)
  .demuxHTTP().to(
    $=>$.handleMessageStart(
      msg => {
        _service = msg.head.path.split('/')[1]
        _target = services[_service]
      }
    )
    .branch(
      // /dashboard: one branch per service, each a copy of this request with its own
      // context, started with the service's name. The request goes on once every branch has
      // ended, and becomes the answer.
      () => _service === 'dashboard', (
        $=>$.handleMessageStart(() => { _answers = {} })
        .forkJoin(() => Object.keys(services)).to(
          $=>$.onStart(name => void (_service = name, _target = services[name]))
          .replaceMessageStart(
            () => new MessageStart({ method: 'GET', path: '/' + _service, headers: { host: _target } })
          )
          .link('call')
          .replaceMessage(
            msg => {
              _answers[_service] = msg.head.status === 200
                ? JSON.parse(msg.body.toString())
                : { error: msg.head.status, attempts: _attempts }
              return new StreamEnd // this branch is done
            }
          )
        )
        .replaceMessage(
          () => new Message(
            { status: 200, headers: { 'content-type': 'application/json' } },
            JSON.stringify(Object.keys(services).reduce((all, name) => ({ ...all, [name]: _answers[name] }), {}))
          )
        )
      ),

      // A service: one call, with retries, and how many attempts it took in x-attempts.
      () => Boolean(_target), (
        $=>$.link('call')
        .handleMessageStart(msg => { msg.head.headers['x-attempts'] = String(_attempts) })
      ),

      $=>$.replaceMessage(new Message({ status: 404 }, 'No such service'))
    )
  )

  // One call to _target, made again while it answers 5xx, up to maxAttempts times. A 5xx
  // answer ends the sub-pipeline with StreamEnd('Replay'); replay() then waits (0.1 s after
  // the 1st attempt, 0.2 s after the 2nd, ...) and runs the sub-pipeline again with the same
  // request. The last answer, good or not, goes back to the client.
  .pipeline('call')
  .replay({ delay: () => 0.1 * Math.pow(2, _attempts - 1) }).to(
    $=>$.handleMessageStart(() => _attempts++)
    .muxHTTP(() => _target).to(
      $=>$.connect(() => _target)
    )
    .replaceMessage(
      msg => msg.head.status >= 500 && _attempts < maxAttempts
        ? new StreamEnd('Replay')
        : msg
    )
  )
