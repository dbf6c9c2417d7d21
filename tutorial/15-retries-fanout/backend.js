// Tutorial 15: the upstreams, three small JSON services. The stock service is overloaded: it
// turns down two requests out of three with "503 Service Unavailable", so only every third one
// gets an answer. /stock/down stands for a service that stays down.

var json = body => new Message(
  { status: 200, headers: { 'content-type': 'application/json' } },
  JSON.stringify(body)
)

var stockRequests = 0

pipy()

  // users: a count of the registered users.
  .listen(8080)
  .serveHTTP(() => json({ users: 3 }))

  // orders: the open orders.
  .listen(8081)
  .serveHTTP(() => json({ orders: 7 }))

  // stock: busy two times out of three.
  .listen(8082)
  .serveHTTP(
    req => {
      if (req.head.path === '/stock/down') return new Message({ status: 503 }, 'Down')
      stockRequests++
      return stockRequests % 3 === 0 ? json({ items: 42 }) : new Message({ status: 503 }, 'Busy')
    }
  )
