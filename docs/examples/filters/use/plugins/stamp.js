// A plugin: its pipeline 'request' adds x-stamp.
pipy()
  .pipeline('request')
  .handleMessageStart(msg => { msg.head.headers['x-stamp'] = 'stamped' })
