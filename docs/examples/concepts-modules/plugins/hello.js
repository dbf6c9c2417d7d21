import { greeting } from '../greeting.js'

// Answers /hello; anything else goes on down the chain. pipy().pipeline() with no name is
// the module's entrance: the pipeline chain() runs when the chain reaches this module.
pipy()
  .pipeline()
  .branchMessageStart(
    msg => msg.head.path === '/hello', ($=>$
      .replaceMessage(new Message(greeting + '\n'))
    ),
    ($=>$.chain())
  )
