// An upstream that takes the request and never answers.
pipy.listen(18395, $=>$.dummy())
