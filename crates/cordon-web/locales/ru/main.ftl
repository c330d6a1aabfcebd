# Staff pages are Chinese and English; Russian texts are for quarantined
# travellers' pages (added with the quarantine capability). Until then Russian
# falls back to Chinese.
app-name = Cordon
