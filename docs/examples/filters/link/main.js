// link runs a named layout of the same module as a sub-pipeline, sharing the context.
pipy({ _greeting: 'hi' })

.listen(18426)
.demuxHTTP().to($=>$.link('answer'))

.pipeline('answer')
.replaceMessage(msg => new Message(_greeting + ' from ' + msg.head.path + '\n'))
