// swap joins a pipeline.Hub: what a member sends comes out of every other member. Here
// each connection joins a hub, and a copy of its bytes joins a moment later as a second
// member, so the connection hears its own bytes back: an echo, through the hub.
var hub = new pipeline.Hub()

pipy.listen(18708, $=>$
  .fork().to($=>$
    .wait(() => new Timeout(0.1).wait())
    .swap(hub)
  )
  .swap(hub)
  .replaceData(data => new Data('heard: ' + data.toString()))
)
