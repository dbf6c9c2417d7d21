// NGINX's location blocks as one function: exact match first, then the ^~ prefix, then the
// regex, then the catch-all.
pipy.listen(18310, $=>$
  .serveHTTP(req => {
    var path = req.head.path.split('?')[0]
    if (path === '/health') {
      return new Message('ok\n')
    }
    if (path.startsWith('/static/')) {
      return new Message(
        { headers: { 'cache-control': 'max-age=3600' } },
        'static file ' + path + '\n'
      )
    }
    if (/\.php$/.test(path)) {
      return new Message({ status: 403 }, 'no PHP here\n')
    }
    return new Message({ status: 404 }, 'not found\n')
  })
)
