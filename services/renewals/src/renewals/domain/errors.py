"""A use case's refusals; the API turns them into 404 / 409 / 403 answers naming the field."""


class NotFound(LookupError):
    pass


class Conflict(ValueError):
    pass


class Forbidden(PermissionError):
    pass
