// decodeMultipart splits a multipart message (a form upload) into one message per part,
// with heads {headers}: here an endpoint lists the parts it received (a part's body keeps
// the line break before the next boundary).
var $parts

pipy.listen(18826, $=>$
  .demuxHTTP().to($=>$
    .handleMessageStart(() => { $parts = [] })
    .fork().to($=>$
      .decodeMultipart()
      .handleMessage(part => $parts.push(`${part.head.headers['content-disposition']}: ${part.body.toString().trimEnd()}`))
    )
    .replaceMessage(() => new Message($parts.join('\n') + '\n'))
  )
)
