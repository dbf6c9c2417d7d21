// exec runs a child process (no shell) with the stream as its standard input and its
// standard output as the output: here each connection gets its own sed, numbering lines.
pipy.listen(18774, $=>$
  .exec(['sed', '-u', 's/^/> /'])
)
