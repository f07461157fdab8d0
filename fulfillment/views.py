from oms.views import section_index

index = section_index("fulfillment")
