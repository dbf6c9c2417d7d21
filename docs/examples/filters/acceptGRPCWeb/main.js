// acceptGRPCWeb turns gRPC-Web requests from browsers (binary or base64 text) into gRPC
// for its sub-pipeline, and the gRPC answers back into gRPC-Web: here the sub-pipeline
// answers every call itself with the message it got, and grpc-status 0 in the trailers.
pipy.listen(18870, $=>$
  .demuxHTTP().to($=>$
    .acceptGRPCWeb().to($=>$
      .replaceMessage(req => new Message(
        { status: 200, headers: { 'content-type': 'application/grpc' } },
        req.body,
        { headers: { 'grpc-status': '0' } }
      ))
    )
  )
)
