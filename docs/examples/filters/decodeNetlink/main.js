// decodeNetlink reads Linux netlink messages (as the kernel writes them: host byte order,
// each 4-byte aligned) into messages with heads {type, flags, seq, pid}: here a service
// lists the messages of a buffer a client sends (connect() can also speak netlink to the
// kernel itself, with {protocol: 'netlink'}).
pipy.listen(18834, $=>$
  .decodeNetlink()
  .replaceMessage(msg => new Data(`type ${msg.head.type} seq ${msg.head.seq}: ${msg.body.size} bytes\n`))
)
