// Plugin 1: lets through only the requests that carry the token of config.json, as
// "authorization: Bearer <token>". The others get 401 and go no further.

var config = JSON.decode(pipy.load('config.json'))
var expected = `Bearer ${config.token}`

pipy({
  _authorized: false,
})

  .pipeline()
  .handleMessageStart(
    msg => _authorized = msg.head.headers.authorization === expected
  )
  .branch(
    () => _authorized, (
      $=>$.chain()
    ),
    (
      $=>$.replaceMessage(
        new Message(
          { status: 401, headers: { 'www-authenticate': 'Bearer' } },
          'Unauthorized'
        )
      )
    )
  )
