"""Pure, deterministic Python: the workflow language, its validation, the evaluator and
every decision the orchestrators apply. Imports nothing of the rest of the app.

Model names say what a model is:

    *Definition, *Node   what workflow authors write (`domain.models`)
    *Record              what is stored (a catalog row, `ChildJobRecord`)
    *Message             what crosses a queue or the durable boundary (`TaskMessage`,
                         `JobStartMessage`, `RunHandlerMessage`, ...)
    *Result              what comes back (`TaskResult`, `BatchResult`)
"""
