"""HTTP helpers shared by the resident pages, the workbench and the API."""

from django.http import FileResponse
from django.utils.translation import gettext

from suqiu.appeals.models import Appeal
from suqiu.core.errors import NotFound


def photo_response(appeal: Appeal, photo_id: int) -> FileResponse:
    """The image of one photo of ``appeal``, which the caller has already checked the user may see.

    Photos are never served from a public media URL: every adapter reaches them through this,
    after its own scoped look-up of the appeal. NotFound for another appeal's photo or a lost file.
    """
    photo = appeal.photos.filter(pk=photo_id).first()
    if photo is None or not photo.file:
        raise NotFound(gettext("No such photo."))
    try:
        handle = photo.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise NotFound(gettext("The photo file is missing."), code="photo_missing") from None
    response = FileResponse(handle, content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = f'inline; filename="photo-{photo.pk}.{photo.extension}"'
    return response
