// decodeMQTT turns the bytes of MQTT packets into messages: here a stub broker that
// accepts every CONNECT with a CONNACK (encoded by encodeMQTT).
pipy.listen(18806, $=>$
  .decodeMQTT()
  .replaceMessage(pkt => pkt.head.type === 'CONNECT'
    ? new Message({ type: 'CONNACK', reasonCode: 0 })
    : []
  )
  .encodeMQTT()
)
