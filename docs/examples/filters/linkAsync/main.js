// linkAsync sends the events to a named sub-pipeline on a later turn of the event loop;
// what it outputs is the filter's output. The early API names its sub-pipelines.
var order = []

pipy()
.listen(18680)
  .demuxHTTP('request')

.pipeline('request')
  .handleMessageStart(() => { order = ['request'] })
  .linkAsync('answer')

.pipeline('answer')
  .replaceMessage(() => { order.push('answer'); return new Message(order.join(', ') + '\n') })
