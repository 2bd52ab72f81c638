module footprint/accountservice

go 1.19
