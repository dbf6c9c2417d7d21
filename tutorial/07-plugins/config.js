// The configuration of tutorial 07, as a JavaScript expression.
// Every module that needs it calls pipy.solve('config.js'); the file is evaluated once and
// the same value is handed to all of them. Unlike JSON it can hold comments.
({
  listen: 8000,

  // The request goes through these modules in this order. Each one either answers the
  // request or passes it on to the next one with chain().
  plugins: [
    'plugins/router.js',
    'plugins/balancer.js',
    'plugins/default.js',
  ],

  // URL path pattern -> service name (used by plugins/router.js).
  routes: {
    '/hi/*': 'service-hi',
    '/echo': 'service-echo',
    '/ip/*': 'service-tell-ip',
  },

  // Service name -> upstream addresses (used by plugins/balancer.js).
  services: {
    'service-hi': ['127.0.0.1:8080', '127.0.0.1:8082'],
    'service-echo': ['127.0.0.1:8081'],
    'service-tell-ip': ['127.0.0.1:8082'],
  },
})
