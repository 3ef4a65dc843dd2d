; Every `...`: candidate expression and body holes. Each is then checked against the
; rules in docs/holes.md (subscripts, annotations, sentinel defaults, stubs, ...).
; The finder runs this query only over the byte ranges where `...` occurs.
(ellipsis) @ellipsis
