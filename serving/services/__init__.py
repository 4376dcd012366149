"""Thin gRPC servicers: decode the request, call the data plane, encode the response."""
