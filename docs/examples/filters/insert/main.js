// insert outputs its events once, before the first event that comes in: here a
// banner before the bytes of a plain TCP echo.
pipy.listen(18632, $=>$
  .insert(new Data('welcome\n'))
)
