module skelgen/tests/faults/go-driver

go 1.21
