import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imgbackup.settings")

from django.core.wsgi import get_wsgi_application

from imgbackup.framing import CloseAfterUnreadBody

application = CloseAfterUnreadBody(get_wsgi_application())
