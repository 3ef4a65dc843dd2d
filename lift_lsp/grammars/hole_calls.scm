; Calls that may be named holes: `hole(...)` or `module.hole(...)`. Only run when the
; file imports lift_holes; the callee text is matched against the imported aliases.
(call
  function: (identifier) @callee
  arguments: (argument_list) @args) @call

(call
  function: (attribute
    object: (identifier) @module
    attribute: (identifier) @attribute)
  arguments: (argument_list) @args) @qualified_call
