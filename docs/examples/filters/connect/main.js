// connect: a plain TCP proxy. The bytes go to the upstream as they are, HTTP or not.
pipy.listen(18406, $=>$
  .connect('127.0.0.1:18407', { connectTimeout: 5 })
)
