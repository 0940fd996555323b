"""A faithful one-file replica of the original design's ``ImageView``, the benchmarks' baseline.

Kept as the sketch had it, defects included (see DESIGN.md): every uploaded file is read whole
into memory with ``v.read()``, named ``<md5>.jpg`` and written without fsync; GET reads the
whole file into memory and answers ``image/jpg``; ``return Http404()``. No authentication.
It runs under the same gunicorn settings as ``imgbackup serve`` (imgbackup.server).

Run: ``python -m bench.original_design --port P --dir IMAGES_DIR [--workers N --threads N]``."""

from __future__ import annotations

import argparse
import hashlib
import os
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from gunicorn.app.base import BaseApplication

IMAGES_DIR = os.environ.get("ORIGINAL_IMAGES_DIR", "images")


@method_decorator(csrf_exempt, name="dispatch")
class ImageView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        md5 = request.GET.get("md5", "")
        img_file = os.path.join(IMAGES_DIR, md5 + ".jpg")
        if not os.path.exists(img_file):
            return Http404()  # type: ignore[return-value]  # the original's bug, kept
        with open(img_file, "rb") as f:
            data = f.read()
        return HttpResponse(data, content_type="image/jpg")

    def post(self, request: HttpRequest) -> HttpResponse:
        data = []
        for k, v in request.FILES.items():
            content = v.read()
            md5 = hashlib.md5(content).hexdigest()
            with open(os.path.join(IMAGES_DIR, md5 + ".jpg"), "wb") as f:
                f.write(content)
            data.append({"name": k, "md5": md5})
        return JsonResponse({"result_code": 0, "message": "post success.", "data": data})

    def delete(self, request: HttpRequest) -> HttpResponse:
        md5 = request.GET.get("md5", "")
        img_file = os.path.join(IMAGES_DIR, md5 + ".jpg")
        if not os.path.exists(img_file):
            return Http404()  # type: ignore[return-value]
        os.remove(img_file)
        return JsonResponse({"result_code": 0, "message": "remove success."})


urlpatterns = [path("api/v1.0/service/image/", ImageView.as_view())]


def configure(images_dir: str) -> None:
    global IMAGES_DIR
    IMAGES_DIR = images_dir
    os.makedirs(images_dir, exist_ok=True)
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-original-design",  # a throwaway benchmark server
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
        INSTALLED_APPS=[],
        # Django's defaults: files over 2.5 MB are spooled to a temp file, which the view
        # then reads whole. Spool on the images' filesystem, like imgbackup does.
        FILE_UPLOAD_TEMP_DIR=images_dir,
        USE_TZ=True,
    )
    # Module-level state must reach the ROOT_URLCONF instance when run with ``-m``.
    import bench.original_design as urlconf

    urlconf.IMAGES_DIR = images_dir


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from django.core.wsgi import get_wsgi_application

        return get_wsgi_application()


def main() -> None:
    from imgbackup.server import gunicorn_options

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    configure(os.path.abspath(args.dir))
    options = gunicorn_options(args.host, args.port, args.workers, args.threads)
    options["proc_name"] = "original-design"
    _Server(options).run()


if __name__ == "__main__":
    main()
