// The backend of this tutorial: a tiny Redis, so the proxy has something to talk to with
// nothing installed. It knows PING, SET, GET, INCR and DEL, keeps its keys in a Map, and
// forgets them when it stops. (A real redis-server on port 8080 works just as well.)
// Run it next to main.js:  engine <this folder>/backend.js

var store = new Map

// answer(command): the reply to one command, an array like ['SET', key, value] whose items are
// Data (RESP bulk strings). A string reply is a simple string, a number an integer, Data a bulk
// string, null a null bulk string, and an Error an error.
function answer(command) {
  var name = command[0]?.toString().toUpperCase()
  var key = command[1]?.toString()
  switch (name) {
    case 'PING':
      return command.length > 1 ? command[1] : 'PONG'
    case 'SET':
      store.set(key, command[2])
      return 'OK'
    case 'GET':
      return store.get(key) ?? null
    case 'INCR': {
      var n = Number((store.get(key) ?? '0').toString())
      if (!Number.isInteger(n)) return new Error('ERR value is not an integer or out of range')
      store.set(key, new Data(String(n + 1)))
      return n + 1
    }
    case 'DEL':
      return command.slice(1).filter(k => store.delete(k.toString())).length
    default:
      return new Error(`ERR unknown command '${name}'`)
  }
}

pipy()

  .listen(8080)
  // Each command becomes one message whose payload is the decoded value.
  .decodeRESP()
  .replaceMessage(
    msg => [new MessageStart, new MessageEnd(null, answer(msg.payload))]
  )
  .encodeRESP()
