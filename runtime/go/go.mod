module skelgen.local/skelgenrt

go 1.21
