// encodeNetlink writes messages with heads {type, flags, seq, pid} as Linux netlink
// messages, and decodeNetlink reads them back: here a round trip of one message.
pipy.listen(18830, $=>$
  .demuxHTTP().to($=>$
    .replaceMessage(req => new Message({ type: 18, flags: 0x301, seq: 42, pid: 0 }, req.body))
    .encodeNetlink()
    .decodeNetlink()
    .replaceMessage(msg => new Message(JSON.stringify(Object.assign({ body: msg.body.toString() }, msg.head))))
  )
)
