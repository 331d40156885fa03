"""Chinwag widgets: Textual widgets only. They post messages; they never open the database or call an agent."""
