// The end of the chain: whatever reaches it is answered 404
pipy()
  .pipeline()
  .replaceMessage(msg => new Message({ status: 404 }, 'no plugin took ' + msg.head.path + '\n'))
