// The end of the chain.
pipy()
  .pipeline()
  .replaceMessage(new Message('hello\n'))
