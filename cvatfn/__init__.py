"""cvatfn"""
