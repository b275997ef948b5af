module skelgen/examples/go

go 1.21
