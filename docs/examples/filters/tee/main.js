// tee writes every Data that passes to a file and passes it on: here each request body
// is copied to standard output ('-'), the program's log of uploads, and echoed back.
pipy.listen(18656, $=>$
  .demuxHTTP().to($=>$
    .tee('-')
    .replaceMessage(msg => new Message(msg.body))
  )
)
