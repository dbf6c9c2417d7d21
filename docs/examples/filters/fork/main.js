// fork sends a copy of the stream down a sub-pipeline and passes the original on; the copy's
// output is dropped. Here each request is also mirrored to a second server.
pipy.listen(18446, $=>$
  .demuxHTTP().to($=>$
    .fork().to($=>$
      .muxHTTP().to($=>$.connect('127.0.0.1:18448'))
    )
    .muxHTTP().to($=>$.connect('127.0.0.1:18447'))
  )
)
