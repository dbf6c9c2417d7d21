// A plugin: its pipeline 'request' adds x-tag.
pipy()
  .pipeline('request')
  .handleMessageStart(msg => { msg.head.headers['x-tag'] = 'tagged' })
