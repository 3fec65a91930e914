"""The agenda: events, recurrence, answers and waiting lists, reminders, iCalendar feeds."""
