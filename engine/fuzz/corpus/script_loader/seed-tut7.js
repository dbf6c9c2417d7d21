// Tutorial 07: a proxy assembled from plugins.
// This module only accepts connections and splits them into requests; what happens to a
// request is decided by the plugin modules listed in config.js.

var config = pipy.solve('config.js')

pipy()

  // __route is shared with the plugins: the router writes it, the balancer reads it.
  // Exporting it under the namespace 'main' lets other modules import it.
  .export('main', {
    __route: undefined,
  })

  .listen(config.listen)
  .demuxHTTP().to(
    $=>$

    // Hand each request to the entrance pipeline of the first plugin.
    .chain(config.plugins)
  )
