// Plugin 5, the last one: answers every request that reaches it with a 404.

pipy()

  .pipeline()
  .replaceMessage(
    new Message({ status: 404 }, 'No route')
  )
