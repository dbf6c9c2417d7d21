// handle calls its function on every event, whatever its kind: here it counts the
// events of each request (MessageStart, Data..., MessageEnd).
var $events

pipy.listen(18612, $=>$
  .demuxHTTP().to($=>$
    .handleStreamStart(() => { $events = [] })
    .handle(evt => $events.push(evt.constructor.name))
    .replaceMessage(() => new Message($events.join(' ') + '\n'))
  )
)
