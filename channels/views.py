"""Sales channels: the registry list, and creating and editing channels.

Everyone with the channels section sees the list; changing a channel (commission, shortage policy,
risk threshold) changes how every new order of it is treated, so it needs
``channels.change_saleschannel``, which only administrators hold.
"""

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from channels.forms import SalesChannelForm
from channels.models import SalesChannel
from oms.access import role_required

VIEW = "oms.access_channels"
CHANGE = "channels.change_saleschannel"


@role_required(VIEW)
def index(request: HttpRequest) -> HttpResponse:
    channels = SalesChannel.objects.annotate(order_count=Count("orders")).order_by("name", "pk")
    return render(
        request,
        "channels/list.html",
        {"channels": channels, "may_change": request.user.has_perm(CHANGE)},
    )


@role_required(VIEW, CHANGE)
def channel_create(request: HttpRequest) -> HttpResponse:
    form = SalesChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        channel = form.save()
        messages.success(request, _("Channel %(name)s created.") % {"name": channel.name})
        return redirect("channels:index")
    return render(request, "channels/form.html", {"form": form, "channel": None})


@role_required(VIEW, CHANGE)
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    channel = get_object_or_404(SalesChannel, pk=pk)
    form = SalesChannelForm(request.POST or None, instance=channel)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Channel %(name)s saved.") % {"name": channel.name})
        return redirect("channels:index")
    return render(request, "channels/form.html", {"form": form, "channel": channel})
