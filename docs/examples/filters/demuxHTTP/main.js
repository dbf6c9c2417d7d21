// demuxHTTP runs one sub-pipeline per request; whatever message it outputs is the response.
pipy.listen(18402, $=>$
  .demuxHTTP().to($=>$
    .replaceMessage(req => new Message(
      req.head.method + ' ' + req.head.path + ' with ' + req.body.size + ' bytes\n'
    ))
  )
)
