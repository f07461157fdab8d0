"""Create an API key for an integration and print it once."""

from django.core.management.base import BaseCommand, CommandError

from oms.apikeys import SCOPES, create_api_key
from oms.errors import DomainError


class Command(BaseCommand):
    help = "Create an API key. Scopes: " + ", ".join(sorted(SCOPES))

    def add_arguments(self, parser):
        parser.add_argument("name", help="who uses it, e.g. 'Logo ERP'")
        parser.add_argument(
            "--scopes",
            "--scope",
            action="append",
            required=True,
            dest="scopes",
            help="comma-separated, or the option repeated: --scopes orders:write,orders:read",
        )

    def handle(self, *args, name: str, scopes: list[str], **options):
        scopes = [s.strip() for item in scopes for s in item.split(",") if s.strip()]
        try:
            key, plaintext = create_api_key(name=name, scopes=scopes)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"API key for {key.name} (scopes: {', '.join(key.scopes)}). Shown only now:")
        self.stdout.write(plaintext)
