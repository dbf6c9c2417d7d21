// encodeMQTT turns messages with MQTT packet heads into bytes; decodeMQTT reads them back:
// here a PUBLISH packet made from a request makes the round trip.
pipy.listen(18802, $=>$
  .demuxHTTP().to($=>$
    .replaceMessage(req => new Message({ type: 'PUBLISH', topicName: req.head.path.substring(1), qos: 0 }, req.body))
    .encodeMQTT()
    .decodeMQTT()
    .replaceMessage(pkt => new Message(`${pkt.head.type} to ${pkt.head.topicName}: ${pkt.body.toString()}\n`))
  )
)
