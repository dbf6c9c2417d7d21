// Refuses requests without x-api-key; passes the others on down the chain.
pipy()
  .pipeline()
  .branchMessageStart(
    msg => !msg.head.headers['x-api-key'], ($=>$
      .replaceMessage(new Message({ status: 401 }, 'an API key is needed\n'))
    ),
    ($=>$.chain())
  )
